#pragma once
// Log lines as text for people or as one JSON object per line for log pipelines.

#include <string>

namespace app {

// `level`: trace, debug, info, warn, error. `format`: text or json.
void setup_logging(const std::string& level, const std::string& format);

// A string as a JSON string literal's contents (quotes, backslashes, control characters).
std::string json_escape(const std::string& text);

}  // namespace app
