#include "k8s/base64.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace k8s {

// Go's decoder, which kubectl uses, skips line breaks, so wrapped base64 is accepted here too.
// EVP_DecodeBlock does not check padding placement and counts padding as output, so the
// alphabet is checked first and the padding trimmed afterwards.
std::optional<std::string> decode_base64(const std::string& text) {
  std::string in;
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') in += c;
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return std::nullopt;
  for (size_t i = 0; i < in.size() - padding; ++i) {
    char c = in[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string random_token_base64(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  std::string out(4 * ((bytes + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), raw.data(),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace k8s
