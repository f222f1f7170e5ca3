#include "actors/protocol.hpp"

namespace actors {

bool write_result::ambiguous() const {
  if (!error) return false;
  switch (error->kind()) {
    case k8s::error_kind::transport:
    case k8s::error_kind::timeout:
    case k8s::error_kind::canceled:
      return true;
    case k8s::error_kind::server_error:
      // 500 ServerTimeout and 504 both say "may still be processing"; any 5xx may come from a
      // proxy in front of a server that did the work.
      return true;
    default:
      return false;
  }
}

}  // namespace actors
