// Folding shared by the parser (digits glued before a bracket refold its body) and
// fold_nodeset. Internal to lib/core.
#pragma once
#include <string>
#include <vector>

namespace cc {

// ClusterShell's RangeSet string of indexes: sorted shorter first ("1,2,01"), consecutive
// numbers of one padding joined into ranges: {"3","1","2","01","02","10"} -> "1-3,10,01-02".
std::string fold_indexes(std::vector<std::string> indexes);

}  // namespace cc
