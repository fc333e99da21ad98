#include "nodeset_option.hpp"

namespace cc::cli {

// CLI11 2.1 reads a value of an option that "allows extra args" as a list when
// it starts with '[' and ends with ']': "[1-3]" became "1-3" and
// "[5-8],nova[3-4,6]" the pieces "5-8]", "nova[3-4", "6". Only an option that
// allows extra args does that, but a positional takes more than one argument
// only when it allows extra args or still expects more. So a many-NODESET
// positional "expects" CLI11's unbounded count instead (usage shows it as
// "nodeset..."), takes all it is given without a count check, and never
// allows extra args.
CLI::Option* add_nodeset_option(CLI::App& cmd, const std::string& name, std::vector<std::string>& target,
                                const std::string& description) {
    constexpr int unbounded = CLI::detail::expected_max_vector_size;
    return cmd.add_option(name, target, description)
        ->expected(unbounded, unbounded)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->allow_extra_args(false);
}

CLI::Option* add_nodeset_option(CLI::App& cmd, const std::string& name, std::string& target,
                                const std::string& description) {
    // A single string already arrives whole; saying so keeps it that way.
    return cmd.add_option(name, target, description)->expected(1)->allow_extra_args(false);
}

}  // namespace cc::cli
