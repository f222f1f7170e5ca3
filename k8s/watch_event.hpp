#pragma once
// The API server's watch stream: one JSON object per line, {"type": ..., "object": ...}, sent
// in chunks that need not end at line boundaries.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "k8s/error.hpp"

namespace k8s {

struct watch_event {
  enum class type { added, modified, deleted, bookmark, error };
  type kind = type::added;
  nlohmann::json object;  // the resource; a Status for an error event
};

const char* to_string(watch_event::type kind);  // "ADDED", "MODIFIED", ...
std::optional<watch_event::type> parse_watch_event_type(std::string_view text);

// One line of the stream. Bad JSON, an unknown type or a missing object fail with
// error_kind::decode, quoting the start of the line.
result<watch_event> parse_watch_line(std::string_view line);

// The error an ERROR event reports: a 410 Expired Status becomes error_kind::gone (list again),
// and so on as for HTTP responses. A Status without a code counts as a server error (500).
api_error error_of(const watch_event& event);

// Cuts the stream into lines as chunks arrive, keeping a partial last line for the next chunk.
// Empty lines are skipped and a trailing "\r" is dropped. `on_line` must not call feed().
class watch_line_splitter {
 public:
  void feed(std::string_view chunk, const std::function<void(std::string_view line)>& on_line);

  // Bytes of an unfinished line: non-empty when a stream ends here, it was cut mid-event.
  const std::string& pending() const { return partial_; }
  void reset() { partial_.clear(); }

 private:
  std::string partial_;
};

}  // namespace k8s
