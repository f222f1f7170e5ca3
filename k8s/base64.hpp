#pragma once
// Base64 as Kubernetes uses it: kubeconfig `*-data` fields, a Secret's `data`.

#include <optional>
#include <string>

namespace k8s {

// The decoded bytes; nullopt when `text` is not valid base64 (line breaks are allowed).
std::optional<std::string> decode_base64(const std::string& text);
// `bytes` random bytes from OpenSSL's CSPRNG, base64-encoded: a secret token.
std::string random_token_base64(size_t bytes);

}  // namespace k8s
