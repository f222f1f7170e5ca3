#include "actors/redis_keys.hpp"

#include <hiredis/hiredis.h>

#include <memory>
#include <vector>

namespace actors {

namespace {

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

timeval to_timeval(std::chrono::milliseconds t) {
  return {static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>(t.count() % 1000 * 1000)};
}

// One command; its reply, or the failure (the connection's, or an error reply).
std::variant<reply_ptr, redis_failure> command(redisContext* c,
                                               const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  reply_ptr reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply)
    return redis_failure{"Redis " + args[0] + ": " + (c->errstr[0] ? c->errstr : "no reply")};
  if (reply->type == REDIS_REPLY_ERROR)
    return redis_failure{"Redis " + args[0] + ": " + std::string(reply->str, reply->len)};
  return reply;
}

}  // namespace

std::variant<int64_t, redis_failure> delete_redis_keys(const ray::redis_endpoint& endpoint,
                                                       const std::string& pattern,
                                                       std::chrono::milliseconds timeout) {
  if (endpoint.tls)
    return redis_failure{
        "the Redis address is rediss:// (TLS), which this operator's cleanup "
        "does not speak",
        false};
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  context_ptr c(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(timeout)));
  if (!c) return redis_failure{"connecting to Redis at " + where + ": out of memory"};
  if (c->err) return redis_failure{"connecting to Redis at " + where + ": " + c->errstr};
  redisSetTimeout(c.get(), to_timeval(timeout));
  if (!endpoint.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!endpoint.username.empty()) auth.push_back(endpoint.username);
    auth.push_back(endpoint.password);
    auto r = command(c.get(), auth);
    if (auto* f = std::get_if<redis_failure>(&r)) return *f;
  }
  int64_t deleted = 0;
  std::string cursor = "0";
  do {
    auto r = command(c.get(), {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (auto* f = std::get_if<redis_failure>(&r)) return *f;
    const redisReply* reply = std::get<reply_ptr>(r).get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY)
      return redis_failure{"Redis SCAN at " + where + ": an unexpected reply"};
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    std::vector<std::string> del{"DEL"};
    const redisReply* keys = reply->element[1];
    for (size_t i = 0; i < keys->elements; ++i)
      if (keys->element[i]->type == REDIS_REPLY_STRING)
        del.emplace_back(keys->element[i]->str, keys->element[i]->len);
    if (del.size() == 1) continue;
    auto d = command(c.get(), del);
    if (auto* f = std::get_if<redis_failure>(&d)) return *f;
    const redisReply* count = std::get<reply_ptr>(d).get();
    if (count->type == REDIS_REPLY_INTEGER) deleted += count->integer;
  } while (cursor != "0");
  return deleted;
}

}  // namespace actors
