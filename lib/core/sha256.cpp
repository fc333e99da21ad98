#include "core/sha256.hpp"

#include <new>

#include <openssl/evp.h>

#include "core/base64.hpp"

namespace cc {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    // Only allocation can fail here; a hasher that silently hashed nothing would pass a CAS check.
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::bad_alloc();
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Sha256& Sha256::update(std::string_view bytes) {
    EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
    return *this;
}

std::string Sha256::digest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &length);
    return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Sha256::hex_digest() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : digest()) {
        hex += kHex[c >> 4];
        hex += kHex[c & 0xf];
    }
    return hex;
}

std::string sha256_hex(std::string_view bytes) { return Sha256().update(bytes).hex_digest(); }

std::string sha256_fingerprint(std::string_view key_blob) {
    std::string b64 = base64_encode(Sha256().update(key_blob).digest());
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    return "SHA256:" + b64;
}

}  // namespace cc
