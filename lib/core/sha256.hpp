// The one SHA-256: OpenSSH fingerprints, the authorized_keys compare-and-swap
// (sha256sum on the node), and next OCI digests of streamed blobs.
#pragma once
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace cc {

// Incremental, for bytes that arrive in chunks (a stream is never held whole).
class Sha256 {
public:
    Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    ~Sha256();

    Sha256& update(std::string_view bytes);
    // The 32-byte digest; the hasher is spent afterwards.
    std::string digest();
    std::string hex_digest();  // lowercase, as sha256sum prints it

private:
    struct Free {
        void operator()(evp_md_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// Lowercase hex SHA-256, as sha256sum prints it.
std::string sha256_hex(std::string_view bytes);
// "SHA256:" + unpadded base64 of the SHA-256 of the key blob, as ssh-keygen -lf.
std::string sha256_fingerprint(std::string_view key_blob);

}  // namespace cc
