// How `sealexec check` shows a FileReport: a row of fixed-width columns with
// the path last (so rows stream out aligned without buffering the scan), or
// one JSON object (docs/check-json.md lists the keys).
//
// Text lines come back ready for a terminal: every name in them (paths,
// DT_NEEDED strings, reasons that quote them) escaped with terminal_text
// (cli/output.h, shown). JSON objects hold the raw strings; print them with
// json_text, which escapes every string the same way.
#pragma once

#include "sealexec/audit/closure.h"
#include "sealexec/audit/culprits.h"
#include "sealexec/audit/file_report.h"


#include <string>
#include <vector>

namespace sealexec::cli {

// The column titles, aligned with text_row.
[[nodiscard]] std::string text_header();
// One row; `colour` adds ANSI colours to bad values (only on a terminal).
[[nodiscard]] std::string text_row(const audit::FileReport& report, bool colour);
// Indented lines under a row: why the stack is executable and the remedy,
// and warnings.
[[nodiscard]] std::vector<std::string> text_notes(const audit::FileReport& report);

// Appends the stable JSON form of one report to `out`, with its closure and
// culprits when `closure` is given (docs/check-json.md). Strings are escaped
// as json_text escapes them (cli/json_writer.h).
void append_report_json(std::string& out, const audit::FileReport& report,
                        const audit::Closure* closure);

// The dependency tree as ld.so resolves it (each object expanded where it is
// first loaded), then every culprit with its predicted outcomes and remedy.
[[nodiscard]] std::vector<std::string> text_closure(const audit::Closure& closure, bool colour);


// What to do about the executable stack of `report`: `sealexec fix` where it
// really clears it, else a relink, or (trampolines) why it should stay.
[[nodiscard]] std::string execstack_remedy(const audit::FileReport& report);

} // namespace sealexec::cli
