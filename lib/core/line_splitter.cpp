#include "core/line_splitter.hpp"

#include <cstring>

namespace cc {

void LineSplitter::feed(std::string_view data, const Emit& emit) {
    while (!data.empty()) {
        const void* found = std::memchr(data.data(), '\n', data.size());
        std::size_t line_end = found ? static_cast<std::size_t>(static_cast<const char*>(found) - data.data())
                                     : data.size();
        // A line may reach max_line bytes; one byte more and the first max_line go out as a piece.
        std::size_t room = max_line_ - pending_.size();
        if (line_end > room) {
            if (pending_.empty()) {
                emit(data.substr(0, room));
            } else {
                pending_.append(data.substr(0, room));
                emit(pending_);
                pending_.clear();
            }
            data.remove_prefix(room);
            continue;
        }
        if (!found) {
            pending_.append(data);
            return;
        }
        if (pending_.empty()) {
            emit(data.substr(0, line_end));  // the common case: no copy
        } else {
            pending_.append(data.substr(0, line_end));
            emit(pending_);
            pending_.clear();
        }
        data.remove_prefix(line_end + 1);
    }
}

void LineSplitter::finish(const Emit& emit) {
    if (pending_.empty()) return;
    emit(pending_);
    pending_.clear();
}

}  // namespace cc
