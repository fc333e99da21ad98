// The RegistryClient over HttpClient (internal to lib/registry): requests with
// auth (basic, bearer tokens cached per scope), retries, and redirects that
// drop Authorization when they leave the registry's origin.
#pragma once
#include <map>
#include <mutex>

#include "registry/client.hpp"
#include "registry/http.hpp"
#include "registry/www_authenticate.hpp"

namespace cc {

class HttpRegistryClient final : public RegistryClient {
public:
    HttpRegistryClient(std::string registry, RegistryOptions options);

    Result<void> ping() override;
    Result<RawManifest> get_manifest(const std::string& repository, const std::string& reference) override;
    Result<void> put_manifest(const std::string& repository, const std::string& reference,
                              const RawManifest& manifest) override;
    Result<bool> has_blob(const std::string& repository, const std::string& digest) override;
    Result<void> fetch_blob(const std::string& repository, const Descriptor& blob, const BlobCache& cache,
                            const TransferProgress& progress) override;
    Result<std::uint64_t> upload_blob(const std::string& repository, const Descriptor& blob,
                                      const std::filesystem::path& file, const TransferProgress& progress,
                                      const std::string& mount_from) override;
    Result<std::vector<std::string>> list_tags(const std::string& repository) override;

private:
    using Sent = std::expected<HttpResponse, HttpFailure>;
    struct SendOptions {
        bool follow_redirects = false;
        bool retry = true;
        std::function<Result<void>()> before_attempt;  // e.g. a fresh blob writer for each attempt
    };
    static SendOptions following_redirects() {
        SendOptions how;
        how.follow_redirects = true;
        return how;
    }
    // Inside an upload session: a failed PATCH or PUT cannot be sent again on its own.
    static SendOptions single_attempt() {
        SendOptions how;
        how.retry = false;
        return how;
    }
    Sent send(HttpRequest request, const std::string& scope, const SendOptions& how);
    Sent send_once(HttpRequest request, const std::string& scope, bool follow_redirects);
    Result<void> authenticate(const HttpResponse& response, const std::string& scope, bool sent_credentials);
    Result<std::string> fetch_token(const AuthChallenge& challenge, const std::string& scope);
    std::optional<std::string> authorization(const std::string& scope);
    Error status_error(const HttpResponse& response, const std::string& what) const;
    std::string url(const std::string& path) const { return base_ + path; }
    Sent upload_session(const std::string& repository, const Descriptor& blob, const std::filesystem::path& file,
                        std::uint64_t size, const TransferProgress& progress, const std::string& mount_from,
                        const std::string& scope, bool& mounted);

    std::string registry_;
    RegistryOptions options_;
    HttpClient http_;
    std::string base_;    // "https://reg.lab:5000"
    std::string origin_;  // url_origin(base_)
    std::mutex mutex_;
    enum class Scheme { none, basic, bearer } scheme_ = Scheme::none;
    std::map<std::string, std::string> tokens_;  // scope → bearer token
};

}  // namespace cc
