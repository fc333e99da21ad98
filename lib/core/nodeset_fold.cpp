// Folding names the way ClusterShell does: every digit run of a name is an axis
// (n1p2 has the pattern n%sp%s), names are grouped by pattern, and each pattern's
// index vectors are merged axis by axis, from the last to the first, by sorting and
// hashing: O(n log n) where ClusterShell's multivariate merge is quadratic.
#include "core/nodeset_fold.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <unordered_map>

#include "core/nodeset.hpp"

namespace cc {
namespace {

// 18 digits always fit in uint64_t; a longer index is never part of a range, and never
// goes into brackets, where the parser refuses it.
constexpr std::size_t max_number_digits = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool shorter_first(const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::uint64_t value_of(const std::string& index) {
    std::uint64_t value = 0;
    std::from_chars(index.data(), index.data() + index.size(), value);
    return value;
}

// A name cut at its digit runs: "n1p02" -> texts {"n", "p", ""}, indexes {"1", "02"}.
struct CutName {
    std::string pattern;  // texts joined by "%s", as ClusterShell writes (and sorts) patterns
    std::vector<std::string> texts, indexes;
};

CutName cut_name(const std::string& name) {
    CutName cut;
    std::string text;
    for (std::size_t i = 0; i < name.size();) {
        if (!is_digit(name[i])) {
            text += name[i++];
            continue;
        }
        auto end = i;
        while (end < name.size() && is_digit(name[end])) ++end;
        cut.pattern += text + "%s";
        cut.texts.push_back(std::move(text));
        text.clear();
        cut.indexes.push_back(name.substr(i, end - i));
        i = end;
    }
    cut.pattern += text;
    cut.texts.push_back(std::move(text));
    return cut;
}

// One box of index sets (one per axis) standing for their product.
struct Vector {
    std::vector<std::vector<std::string>> axes;  // sorted shorter first
    std::vector<std::string> folded;             // fold_indexes of each axis

    std::size_t size() const {
        std::size_t n = 1;
        for (const auto& axis : axes) n *= axis.size();
        return n;
    }
};

// Merges the vectors that agree on every axis but `axis`.
std::vector<Vector> merge_along(std::vector<Vector> vectors, std::size_t axis) {
    std::vector<Vector> merged;
    std::unordered_map<std::string, std::size_t> slot;
    for (auto& vector : vectors) {
        const auto& index = vector.axes[axis].front();  // not merged yet: one index
        if (index.size() > max_number_digits) {
            merged.push_back(std::move(vector));
            continue;
        }
        std::string key;
        for (std::size_t other = 0; other < vector.folded.size(); ++other)
            if (other != axis) key += vector.folded[other] + '\x1f';
        auto [at, fresh] = slot.try_emplace(std::move(key), merged.size());
        if (fresh)
            merged.push_back(std::move(vector));
        else
            merged[at->second].axes[axis].push_back(index);
    }
    for (auto& vector : merged) {
        std::ranges::sort(vector.axes[axis], shorter_first);
        vector.axes[axis].erase(std::ranges::unique(vector.axes[axis]).begin(), vector.axes[axis].end());
        vector.folded[axis] = fold_indexes(vector.axes[axis]);
    }
    return merged;
}

// ClusterShell's order of a pattern's vectors: larger first, then by each axis's
// (larger, first index, last index).
bool cluster_shell_order(const Vector& a, const Vector& b) {
    if (a.size() != b.size()) return a.size() > b.size();
    for (std::size_t axis = 0; axis < a.axes.size(); ++axis) {
        const auto &x = a.axes[axis], &y = b.axes[axis];
        if (x.size() != y.size()) return x.size() > y.size();
        if (x.front() != y.front()) return x.front() < y.front();
        if (x.back() != y.back()) return x.back() < y.back();
    }
    return false;
}

std::string fold_pattern(const std::vector<std::string>& texts, std::vector<Vector> vectors) {
    for (std::size_t axis = texts.size() - 1; axis-- > 0;) vectors = merge_along(std::move(vectors), axis);
    std::ranges::sort(vectors, cluster_shell_order);
    std::string out;
    for (const auto& vector : vectors) {
        if (!out.empty()) out += ',';
        for (std::size_t axis = 0; axis < vector.axes.size(); ++axis) {
            out += texts[axis];
            out += vector.axes[axis].size() > 1 ? "[" + vector.folded[axis] + "]" : vector.folded[axis];
        }
        out += texts.back();
    }
    return out;
}

}  // namespace

std::string fold_indexes(std::vector<std::string> indexes) {
    std::ranges::sort(indexes, shorter_first);
    indexes.erase(std::ranges::unique(indexes).begin(), indexes.end());
    std::string out;
    std::string first, last;
    bool padded_run = false;
    auto flush = [&] {
        if (first.empty()) return;
        if (!out.empty()) out += ',';
        out += first == last ? first : first + "-" + last;
    };
    for (auto& index : indexes) {
        bool padded = index.size() > 1 && index[0] == '0';
        // A padded run takes the next number while it keeps the width (09, 10); an
        // unpadded one only unpadded numbers (9, 10).
        bool same_padding = padded_run ? index.size() == last.size() : !padded;
        bool next = !first.empty() && same_padding && index.size() <= max_number_digits &&
                    last.size() <= max_number_digits && value_of(index) == value_of(last) + 1;
        if (!next) {
            flush();
            first = index;
            padded_run = padded;
        }
        last = std::move(index);
    }
    flush();
    return out;
}

std::string fold_nodeset(std::vector<std::string> names) {
    std::erase(names, std::string());
    std::ranges::sort(names);
    names.erase(std::ranges::unique(names).begin(), names.end());
    struct Pattern {
        std::vector<std::string> texts;
        std::vector<Vector> vectors;
    };
    std::map<std::string, Pattern> patterns;  // ClusterShell lists patterns in this (byte) order
    for (const auto& name : names) {
        auto cut = cut_name(name);
        auto& pattern = patterns[cut.pattern];
        if (pattern.texts.empty()) pattern.texts = cut.texts;
        Vector vector;
        for (auto& index : cut.indexes) vector.axes.push_back({index});
        vector.folded = std::move(cut.indexes);
        pattern.vectors.push_back(std::move(vector));
    }
    std::string folded;
    for (auto& [key, pattern] : patterns) {
        if (!folded.empty()) folded += ',';
        folded += fold_pattern(pattern.texts, std::move(pattern.vectors));
    }
    return folded;
}

}  // namespace cc
