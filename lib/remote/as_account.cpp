#include "remote/as_account.hpp"

#include <fmt/format.h>

#include "core/shell_quote.hpp"

namespace cc {

std::string as_user_function() {
    // 69 is kExitCannotActAs.
    return R"SH(as_user() {
  if [ "$(id -u)" != 0 ] || [ "$uid" = 0 ]; then "$@"
  elif command -v setpriv >/dev/null 2>&1; then setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"
  elif command -v runuser >/dev/null 2>&1; then runuser -u "$u" -- "$@"
  else echo "cannot act as \"$u\": this node has neither setpriv nor runuser, and clusterctl does not edit another user's files as root" >&2; exit 69
  fi
}
cd / || exit 1
)SH";
}

std::string as_account_prelude(const RemoteAccount& account) {
    return fmt::format("u={}; uid={}; gid={}\n", shell_quote(account.name), shell_quote(account.uid),
                       shell_quote(account.gid)) +
           as_user_function();
}

}  // namespace cc
