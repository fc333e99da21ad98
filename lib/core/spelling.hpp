// "Did you mean" for mistyped words: a command name at the command line.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cc {

// Edits (insert, delete, substitute, swap two neighbours) turning a into b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if one is close enough to be what was
// meant: at most a third of the word's letters edited (at least one), or a
// candidate that starts with the word ("conf" for "config"). Ties go to the
// earlier candidate.
std::optional<std::string> closest_spelling(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace cc
