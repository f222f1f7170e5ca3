#pragma once
// Names the calling thread (at most 15 characters are kept), so `top -H`, a debugger and a
// profile say which thread does what.

#include <pthread.h>

#include <string>

namespace k8s {

inline void name_this_thread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace k8s
