// Ctrl-C is recorded here by the front door's signal handler and polled by
// every wait loop, so work stops at the next poll instead of mid-write.
#pragma once

namespace cc {

void request_interrupt() noexcept;  // async-signal-safe
bool interrupt_requested() noexcept;
// Forgets a Ctrl-C: only for tests, which simulate one and then go on.
void clear_interrupt() noexcept;

}  // namespace cc
