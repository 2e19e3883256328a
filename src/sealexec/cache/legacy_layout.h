// Whether an untagged directory is a cache that a sealexec from before
// cache tags made (layout 1), so that it can be adopted, and not just
// something laid out like one: Bazel's --disk_cache, for one, has ac/xx/<sha256>,
// cas/xx/<sha256> and tmp/ too, and gc or clear would destroy it.
#pragma once

namespace sealexec::cache {

// Looks into the directory open as `dir` (bounded: at most a few hundred
// names and the first bytes of the entries among them). True only when
// every name it sees is one an earlier sealexec gave (exact forms, store by
// store) and something proves sealexec wrote there: an action entry that
// starts with sealexec's magic, or a statistics file of sealexec's format.
// Directories named lost+found (made by mkfs) are passed over.
[[nodiscard]] bool made_by_earlier_sealexec(int dir);

} // namespace sealexec::cache
