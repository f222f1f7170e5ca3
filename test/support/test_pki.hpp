#pragma once
// Certificates made in memory for the client tests: a CA, a serving certificate for
// 127.0.0.1/localhost signed by it, a client certificate signed by it, and an unrelated CA
// (to prove that trusting the wrong CA fails). EC P-256 keys, so generating them is quick.

#include <string>

namespace test_support {

struct test_pki {
  std::string ca_cert_pem;
  std::string ca_key_pem;
  std::string server_cert_pem;  // SANs: IP 127.0.0.1, DNS localhost
  std::string server_key_pem;
  std::string client_cert_pem;  // CN=ray-operator-test, clientAuth
  std::string client_key_pem;
  std::string other_ca_cert_pem;  // a CA that signed nothing used here

  // Generated once per process and cached: every test shares the same material.
  static const test_pki& get();
};

// A fresh temporary directory (removed by the destructor) for files the tests write:
// kubeconfigs, token files, service-account directories.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (creating parent folders) and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace test_support
