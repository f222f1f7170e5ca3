#include "test/actors/scripted_port.hpp"

#include <algorithm>

namespace actor_test {

void scripted_port::write(actors::write_request w, caf::actor reply_to, uint64_t ticket) {
  requests.push_back({false, std::move(w), std::move(reply_to), ticket, false, now_});
}

void scripted_port::read(const k8s::resource& type, const std::string& ns, const std::string& name,
                         caf::actor reply_to, uint64_t ticket) {
  actors::write_request w;
  w.verb = "get";
  w.type = type;
  w.ns = ns;
  w.name = name;
  requests.push_back({true, std::move(w), std::move(reply_to), ticket, false, now_});
}

void scripted_port::clean_redis(actors::redis_cleanup_request r, caf::actor reply_to,
                                uint64_t ticket) {
  actors::write_request w;
  w.verb = "clean-redis";
  w.type.plural = "redis";
  w.ns = r.ns;
  w.name = r.plan.storage_namespace;
  w.body = {{"pattern", r.plan.key_pattern}, {"address", r.plan.address.value}};
  requests.push_back({true, std::move(w), std::move(reply_to), ticket, false, now_});
}

void scripted_port::wake_at(const caf::actor& who, clock::time_point at, uint64_t generation) {
  timers[who.id()] = {who, at, generation};
}

void scripted_port::forget(caf::actor_id who) {
  timers.erase(who);
}

std::vector<size_t> scripted_port::find(const std::string& verb, const std::string& plural,
                                        bool all) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    if ((all || !r.answered) && r.write.verb == verb && r.write.type.plural == plural)
      out.push_back(i);
  }
  return out;
}

void scripted_port::answer(size_t index, actors::write_result result) {
  auto& r = requests.at(index);
  r.answered = true;
  caf::anon_send(r.reply_to, actors::written_atom::value, r.ticket, std::move(result));
}

void scripted_port::succeed(size_t index, const std::string& resource_version) {
  const auto& w = requests.at(index).write;
  actors::write_result result;
  result.name = w.name;
  if (result.name.empty() && w.body.is_object())
    result.name = w.body.value("/metadata/name"_json_pointer, std::string());
  result.uid = "uid-" + std::to_string(next_uid_++);
  result.resource_version = resource_version;
  answer(index, std::move(result));
}

void scripted_port::fail(size_t index, k8s::api_error error) {
  actors::write_result result;
  result.error = std::move(error);
  answer(index, std::move(result));
}

size_t scripted_port::fire_due() {
  size_t fired = 0;
  for (;;) {
    auto next = timers.end();
    for (auto it = timers.begin(); it != timers.end(); ++it)
      if (it->second.at <= now_ && (next == timers.end() || it->second.at < next->second.at))
        next = it;
    if (next == timers.end()) return fired;
    const timer t = next->second;
    timers.erase(next);
    caf::anon_send(t.who, actors::wake_atom::value, t.generation);
    ++fired;
  }
}

std::optional<scripted_port::timer> scripted_port::timer_of(const caf::actor& who) const {
  auto it = timers.find(who.id());
  if (it == timers.end()) return std::nullopt;
  return it->second;
}

}  // namespace actor_test
