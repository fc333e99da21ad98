// Ctrl-C is recorded here by the front door's signal handler and polled by
// every wait loop, so work stops at the next poll instead of mid-write.
#pragma once

namespace cc {

void request_interrupt() noexcept;  // async-signal-safe
bool interrupt_requested() noexcept;

}  // namespace cc
