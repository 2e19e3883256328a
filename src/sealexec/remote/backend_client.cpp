#include "sealexec/remote/backend_client.h"

namespace sealexec::remote {

std::string_view namespace_name(Namespace space) { return space == Namespace::ac ? "ac" : "cas"; }

} // namespace sealexec::remote
