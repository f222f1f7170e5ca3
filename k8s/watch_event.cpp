#include "k8s/watch_event.hpp"

#include "k8s/json_decode.hpp"

namespace k8s {

namespace {

struct type_name {
  watch_event::type kind;
  const char* text;
};

constexpr type_name type_names[] = {
    {watch_event::type::added, "ADDED"},     {watch_event::type::modified, "MODIFIED"},
    {watch_event::type::deleted, "DELETED"}, {watch_event::type::bookmark, "BOOKMARK"},
    {watch_event::type::error, "ERROR"},
};

api_error undecodable(const std::string& why, std::string_view line) {
  constexpr size_t max_quoted = 100;
  std::string quoted(line.substr(0, max_quoted));
  if (line.size() > max_quoted) quoted += "...";
  return api_error(error_kind::decode, "the watch stream sent " + why + ": " + quoted);
}

void emit(std::string_view line, const std::function<void(std::string_view)>& on_line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.empty()) on_line(line);
}

}  // namespace

const char* to_string(watch_event::type kind) {
  for (const auto& t : type_names)
    if (t.kind == kind) return t.text;
  return "UNKNOWN";
}

std::optional<watch_event::type> parse_watch_event_type(std::string_view text) {
  for (const auto& t : type_names)
    if (text == t.text) return t.kind;
  return std::nullopt;
}

result<watch_event> parse_watch_line(std::string_view line) {
  auto doc = parse_api_json(line);
  if (doc.is_discarded()) return undecodable("a line that is not JSON", line);
  if (!doc.is_object()) return undecodable("a line that is not a JSON object", line);
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string()) return undecodable("an event without a type", line);
  auto kind = parse_watch_event_type(type->get_ref<const std::string&>());
  if (!kind)
    return undecodable("an event of unknown type \"" + type->get<std::string>() + "\"", line);
  auto object = doc.find("object");
  if (object == doc.end() || !object->is_object())
    return undecodable("an event without an object", line);
  return watch_event{*kind, std::move(*object)};
}

api_error error_of(const watch_event& event) {
  int code = 500;
  if (event.object.is_object()) {
    auto it = event.object.find("code");
    if (it != event.object.end() && it->is_number_integer()) code = it->get<int>();
  }
  return api_error::from_http(code, event.object.dump());
}

void watch_line_splitter::feed(std::string_view chunk,
                               const std::function<void(std::string_view)>& on_line) {
  size_t start = 0;
  for (size_t newline; (newline = chunk.find('\n', start)) != std::string_view::npos;
       start = newline + 1) {
    std::string_view piece = chunk.substr(start, newline - start);
    if (partial_.empty()) {
      emit(piece, on_line);
    } else {
      partial_.append(piece);
      std::string line = std::move(partial_);
      partial_.clear();
      emit(line, on_line);
    }
  }
  partial_.append(chunk.substr(start));
}

}  // namespace k8s
