#include "inventory/inventory.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/local_paths.hpp"
#include "inventory/schema.hpp"

namespace cc {

namespace {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// The inventory pins host keys and records who may log in where: keep it
// private from the first byte, before SQLite creates it with the umask, and
// take back what an older version (or a copy with cp) left readable by others.
Result<void> open_private_file(const std::string& path, bool own_directory) {
    std::string dir = parent_dir(path);
    if (own_directory) {
        if (auto r = make_directories(dir, 0700); !r) return r;
        struct stat st {};
        if (::stat(dir.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0)
            ::chmod(dir.c_str(), st.st_mode & 0700);  // best effort: the file's own mode is what matters
    } else {
        // An explicit path is the user's: a typo must not grow directories and an empty inventory.
        struct stat st {};
        if (::stat(dir.empty() ? "." : dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return fail(ErrorKind::io, fmt::format("inventory \"{}\": no such directory \"{}\" (only the default "
                                                   "location is created)", path, dir));
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("cannot open inventory \"{}\": {}", path, std::strerror(errno)));
    struct stat st {};
    bool loose = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0;
    int chmod_errno = loose && ::fchmod(fd, st.st_mode & 0700) != 0 ? errno : 0;
    ::close(fd);
    if (chmod_errno != 0)
        return fail(ErrorKind::io, fmt::format("cannot make inventory \"{}\" private (0600): {}", path,
                                               std::strerror(chmod_errno)));
    return {};
}

}  // namespace

Result<Inventory> Inventory::open(const std::string& path, bool own_directory) {
    if (auto r = open_private_file(path, own_directory); !r) return std::unexpected(r.error());
    auto db = sql::Database::open(path, false);
    if (!db) return std::unexpected(db.error());
    if (auto r = migrate_inventory(*db, kInventorySchemaVersion); !r) return std::unexpected(r.error());
    return Inventory(std::move(*db));
}

}  // namespace cc
