#include "actors/timer_service.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <unordered_map>

#include "actors/protocol.hpp"
#include "k8s/thread_name.hpp"

namespace actors {

struct timer_service::impl {
  struct slot {
    explicit slot(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    caf::weak_actor_ptr actor;
    bool pending = false;
  };

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  // Touched only on the timer thread.
  std::unordered_map<caf::actor_id, std::unique_ptr<slot>> slots;
  std::atomic<size_t> armed{0};
  std::thread thread{[this] {
    k8s::name_this_thread("actor-timers");
    io.run();
  }};

  void arm(caf::actor_id id, caf::weak_actor_ptr who, std::chrono::steady_clock::time_point at,
           uint64_t generation) {
    auto& s = slots[id];
    if (!s) s = std::make_unique<slot>(io);
    s->actor = std::move(who);
    if (!s->pending) ++armed;
    s->pending = true;
    s->timer.expires_at(at);  // cancels the wait armed before
    s->timer.async_wait([this, id, generation, raw = s.get()](const boost::system::error_code& ec) {
      if (ec) return;  // replaced or forgotten
      raw->pending = false;
      --armed;
      if (auto target = caf::actor_cast<caf::actor>(raw->actor))
        caf::anon_send(target, wake_atom::value, generation);
      else
        slots.erase(id);
    });
  }

  void forget(caf::actor_id id) {
    auto it = slots.find(id);
    if (it == slots.end()) return;
    if (it->second->pending) --armed;
    it->second->timer.cancel();
    // The cancelled handler still runs (with an error) and touches the slot: free it after.
    auto owned = std::shared_ptr<slot>(std::move(it->second));
    slots.erase(it);
    boost::asio::post(io, [owned] {});
  }
};

timer_service::timer_service() : impl_(std::make_unique<impl>()) {}

timer_service::~timer_service() {
  impl_->guard.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void timer_service::arm(const caf::actor& who, std::chrono::steady_clock::time_point at,
                        uint64_t generation) {
  if (!who) return;
  auto* i = impl_.get();
  boost::asio::post(i->io, [i, id = who.id(), weak = caf::actor_cast<caf::weak_actor_ptr>(who), at,
                            generation]() mutable { i->arm(id, std::move(weak), at, generation); });
}

void timer_service::forget(caf::actor_id who) {
  auto* i = impl_.get();
  boost::asio::post(i->io, [i, who] { i->forget(who); });
}

size_t timer_service::armed() const {
  return impl_->armed;
}

}  // namespace actors
