#include "test/support/test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace test_support {
namespace {

template <typename T, void (*Free)(T*)>
struct openssl_deleter {
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;
using ext_ptr =
    std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void fail(const char* what) {
  char reason[256] = "unknown error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(std::string("test_pki: ") + what + ": " + reason);
}

void check(int result, const char* what) {
  if (result <= 0) fail(what);
}

pkey_ptr make_key() {
  pkey_ptr key(EVP_EC_gen("P-256"));
  if (!key) fail("EC P-256 key generation");
  return key;
}

using extension_list = std::vector<std::pair<int, const char*>>;

// `issuer` null means self-signed. Extensions are added in order, so a self-signed
// certificate's subjectKeyIdentifier must come before anything that refers to it.
x509_ptr make_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                   const extension_list& extensions) {
  x509_ptr cert(X509_new());
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

  // Random serials keep a client's certificate cache from confusing two test runs' certificates.
  bn_ptr serial(BN_new());
  if (!serial) fail("BN_new");
  check(BN_rand(serial.get(), 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), "BN_rand");
  if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    fail("BN_to_ASN1_INTEGER");

  // An hour of slack before "now" tolerates clock differences between the signer and the checker.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60L * 60)) fail("notBefore");
  if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 60 * 60)) fail("notAfter");
  check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0),
        "subject CN");
  check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject),
        "X509_set_issuer_name");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    ext_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext) fail(OBJ_nid2sn(nid));
    check(X509_add_ext(cert.get(), ext.get(), -1), "X509_add_ext");
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()), "X509_sign");
  return cert;
}

x509_ptr make_ca(const std::string& cn, EVP_PKEY* key) {
  return make_cert(cn, key, nullptr, key,
                   {{NID_subject_key_identifier, "hash"},
                    {NID_basic_constraints, "critical,CA:TRUE"},
                    {NID_key_usage, "critical,keyCertSign,cRLSign"}});
}

x509_ptr make_leaf(const std::string& cn, EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key,
                   const char* extended_usage, const char* subject_alt_names) {
  extension_list extensions = {{NID_subject_key_identifier, "hash"},
                               {NID_authority_key_identifier, "keyid:always"},
                               {NID_basic_constraints, "critical,CA:FALSE"},
                               {NID_key_usage, "critical,digitalSignature"},
                               {NID_ext_key_usage, extended_usage}};
  if (subject_alt_names) extensions.emplace_back(NID_subject_alt_name, subject_alt_names);
  return make_cert(cn, key, ca, ca_key, extensions);
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string cert_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  return drain(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey");
  return drain(bio.get());
}

test_pki generate() {
  pkey_ptr ca_key = make_key();
  x509_ptr ca = make_ca("ray-operator-test-ca", ca_key.get());

  pkey_ptr server_key = make_key();
  x509_ptr server = make_leaf("ray-operator-test-server", server_key.get(), ca.get(), ca_key.get(),
                              "serverAuth", "IP:127.0.0.1,DNS:localhost");

  pkey_ptr client_key = make_key();
  x509_ptr client = make_leaf("ray-operator-test", client_key.get(), ca.get(), ca_key.get(),
                              "clientAuth", nullptr);

  pkey_ptr other_key = make_key();
  x509_ptr other = make_ca("ray-operator-other-ca", other_key.get());

  test_pki pki;
  pki.ca_cert_pem = cert_pem(ca.get());
  pki.ca_key_pem = key_pem(ca_key.get());
  pki.server_cert_pem = cert_pem(server.get());
  pki.server_key_pem = key_pem(server_key.get());
  pki.client_cert_pem = cert_pem(client.get());
  pki.client_key_pem = key_pem(client_key.get());
  pki.other_ca_cert_pem = cert_pem(other.get());
  return pki;
}

}  // namespace

const test_pki& test_pki::get() {
  static const test_pki pki = generate();
  return pki;
}

temp_dir::temp_dir() {
  std::string pattern = "/tmp/ray-operator-test-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string temp_dir::write(const std::string& name, const std::string& content) const {
  namespace fs = std::filesystem;
  const fs::path target = fs::path(path_) / name;
  fs::create_directories(target.parent_path());
  // Tests rewrite token files while a client may be reading them; renaming a finished file into
  // place means a reader sees the old content or the new, never a truncated one.
  const fs::path staging = target.parent_path() / ("." + target.filename().string() + ".new");
  {
    std::ofstream out(staging, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) throw std::runtime_error("temp_dir: cannot write " + staging.string());
  }
  fs::rename(staging, target);
  return target.string();
}

}  // namespace test_support
