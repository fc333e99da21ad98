// Paths on this machine: the home directory, "~" expansion, mkdir -p. Below
// config so lib/ssh and lib/inventory need nothing from config.
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

std::string home_directory();  // $HOME, or "/" when unset
// "~/x" -> "$HOME/x"; other paths unchanged.
std::string expand_home(std::string_view path);
// mkdir -p with the given mode for every directory it creates.
Result<void> make_directories(const std::string& dir, unsigned mode);

}  // namespace cc
