#include "k8s/scheduler.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "k8s/thread_name.hpp"

namespace k8s {

struct scheduler::impl {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] {
    name_this_thread("k8s-timer");
    io.run();
  }};
};

scheduler::scheduler() : impl_(std::make_unique<impl>()) {}

scheduler::~scheduler() {
  shutdown();
}

void scheduler::shutdown() {
  impl_->guard.reset();
  impl_->io.stop();
  if (!impl_->thread.joinable()) return;
  if (impl_->thread.get_id() == std::this_thread::get_id())
    impl_->thread.detach();  // shut down from one of its own tasks
  else
    impl_->thread.join();
}

void scheduler::post(std::function<void()> task) {
  boost::asio::post(impl_->io, std::move(task));
}

void scheduler::post_after(std::chrono::nanoseconds delay, std::function<void()> task) {
  if (delay <= std::chrono::nanoseconds::zero()) return post(std::move(task));
  auto timer = std::make_shared<boost::asio::steady_timer>(impl_->io, delay);
  timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
    if (!ec) task();
  });
}

}  // namespace k8s
