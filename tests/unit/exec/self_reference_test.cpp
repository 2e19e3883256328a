#include "sealexec/exec/self_reference.h"

#include <gtest/gtest.h>

#include <string>

namespace sealexec {
namespace {

ScriptLanguage language(const std::string& interpreter, std::optional<std::string> argument = {}) {
  return script_language(Shebang{.interpreter = interpreter, .argument = std::move(argument)});
}

TEST(SelfReference, TheLanguageComesFromTheInterpreterOrEnvsOperand) {
  EXPECT_EQ(language("/bin/sh"), ScriptLanguage::shell);
  EXPECT_EQ(language("/usr/bin/bash"), ScriptLanguage::shell);
  EXPECT_EQ(language("/usr/bin/perl"), ScriptLanguage::perl);
  EXPECT_EQ(language("/usr/bin/python3.11"), ScriptLanguage::python);
  EXPECT_EQ(language("/usr/bin/env", "python3"), ScriptLanguage::python);
  EXPECT_EQ(language("/usr/bin/env", "-S node --harmony"), ScriptLanguage::node);
  EXPECT_EQ(language("/usr/bin/env", "LC_ALL=C ruby"), ScriptLanguage::ruby);
  EXPECT_EQ(language("/usr/bin/awk"), ScriptLanguage::unknown);
  EXPECT_EQ(language("/usr/bin/env"), ScriptLanguage::unknown);
}

std::optional<SelfReference> shell(const std::string& body) {
  return scan_script_text("#!/bin/sh\n" + body, ScriptLanguage::shell);
}

TEST(SelfReference, AShellScriptThatFindsItsHomeIsFound) {
  const auto gdbtui = shell("prog=$(basename $0 tui)\ndir=$(dirname $0)\nexec $dir/$prog\n");
  ASSERT_TRUE(gdbtui);
  EXPECT_EQ(gdbtui->construct, "$0");
  EXPECT_EQ(gdbtui->line, 3); // the #! line is line 1
  EXPECT_FALSE(gdbtui->resolves_links);
  EXPECT_TRUE(shell("exec $0.bin \"$@\"\n"));                 // valgrind's wrapper
  EXPECT_TRUE(shell("bindir=`echo \"$0\" | sed -e 's,[^/]*$,,'`\n")); // red
  EXPECT_TRUE(shell("here=\"${0%/*}\"\n"));
  EXPECT_TRUE(shell("root=$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\n"));
}

TEST(SelfReference, NamesAndMessagesAreNotAHome) {
  // Dispatching on the basename works through the name link.
  EXPECT_FALSE(shell("case $0 in *cmp) comp=cmp ;; esac\n"));
  EXPECT_FALSE(shell("prog=`echo $0 | sed 's|.*/||'`\n"));
  EXPECT_FALSE(shell("case ${0##*/} in xzegrep) ;; esac\n"));
  EXPECT_FALSE(shell("echo \"usage: $0 [file]\"\n"));
  // Not the script's path at all.
  EXPECT_FALSE(shell("awk '{print $0}' file | dirname x\n"));
  EXPECT_FALSE(shell("echo \\$0 | dirname\n"));
  EXPECT_FALSE(shell("x=$01\n"));
  EXPECT_FALSE(shell("# dir=$(dirname $0)\n"));
  EXPECT_FALSE(shell("cmd=${0##*/}\n"));                        // egrep
  EXPECT_FALSE(shell("exec ssh \"${0##*/}\" \"$@\"\n"));        // ssh-argv0
  EXPECT_FALSE(shell("[ $# = 0 ] && exec /bin/sh \"$0\" --error\n")); // re-runs itself
  EXPECT_FALSE(shell("prog=\"$0\"\n"));
}

TEST(SelfReference, HomesFoundThroughVariablesAndSuffixesAreFound) {
  EXPECT_TRUE(shell("self=$0\necho hi\nconf=$(dirname \"$self\")/app.conf\n"));
  EXPECT_TRUE(shell("conf=${0%.sh}.conf\n"));
  EXPECT_TRUE(shell("dir=${0%\"${0##*/}\"}\n"));
  EXPECT_TRUE(shell("dir=`expr \"$0\" : '\\(.*\\)/'`\n"));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/perl\nmy ($dir) = $0 =~ m{^(.*)/};\n",
                               ScriptLanguage::perl));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/python3\nme = sys.argv[0]\nd = os.path.dirname(me)\n",
                               ScriptLanguage::python));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/python3\nme = sys.argv[0]\nprint(me)\n",
                                ScriptLanguage::python));
}

TEST(SelfReference, AShellScriptThatFollowsItsOwnLinksIsMarked) {
  // gcloud: readlink in a function, "$0" handed to it further down.
  const auto gcloud = shell("f() {\n  while l=$(readlink \"$1\"); do :; done\n}\nROOT=$(f \"$0\")\n");
  ASSERT_TRUE(gcloud);
  EXPECT_TRUE(gcloud->resolves_links);
  EXPECT_EQ(gcloud->resolver, "readlink");
  EXPECT_EQ(gcloud->resolver_line, 3);
  const auto mvn = shell("PRG=\"$0\"\nwhile [ -h \"$PRG\" ]; do PRG=x; done\n");
  ASSERT_TRUE(mvn);
  EXPECT_TRUE(mvn->resolves_links);
  EXPECT_EQ(mvn->resolver, "a -h test");
  // Resolving its path without a loop cannot hang: a warning.
  const auto once = shell("SCRIPT_PATH=$(readlink -f \"$0\")\n");
  ASSERT_TRUE(once);
  EXPECT_FALSE(once->resolves_links);
  // A loop that resolves something, and $0 used besides printing: marked
  // (a guess), which --allow-self-reference turns into a warning.
  EXPECT_TRUE(shell("me=\"$0\"\nwhile [ -L \"$f\" ]; do f=x; done\n")->resolves_links);
  EXPECT_FALSE(shell("echo \"usage: $0\"\nwhile [ -L \"$f\" ]; do f=x; done\n"));
  EXPECT_FALSE(shell("echo \"usage: $0\"\nreadlink /etc/x\n"));
  // Only its basename, beside a loop that resolves something else.
  EXPECT_FALSE(shell("me=${0##*/}\nwhile test -L \"$file\"; do file=x; done\n"));
  // A loop over lines on one line, readlink inside it on the next.
  const auto split = shell("p=$0\nwhile :\ndo\n  l=$(readlink \"$p\") || break\ndone\n");
  ASSERT_TRUE(split);
  EXPECT_TRUE(split->resolves_links);
  EXPECT_EQ(split->resolver_line, 5);
  // "for" in a message and readlink in a list of names are not a loop that
  // resolves links (heaptrack, checksec).
  const auto prose = shell("echo \"usage: for each file\"\nP=$(readlink -f \"$0\")\n");
  ASSERT_TRUE(prose);
  EXPECT_FALSE(prose->resolves_links);
  const auto list = shell("me=\"$0\"\nfor c in cat readlink sed; do command -v $c; done\n");
  EXPECT_FALSE(list && list->resolves_links);
  // Only a usage line mentions $0: not refused (lslinks).
  const auto lslinks =
      shell("echo \"usage: $0 DIR\"\nfind . | while read l; do readlink \"$l\"; done\n");
  EXPECT_FALSE(lslinks && lslinks->resolves_links);
}

TEST(SelfReference, PerlPythonNodeAndRubyRules) {
  EXPECT_TRUE(scan_script_text("#!/usr/bin/perl\nuse FindBin;\n", ScriptLanguage::perl));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/perl\nmy $d = dirname($0);\n", ScriptLanguage::perl));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/perl\nprint \"Usage: $0\\n\";\n", ScriptLanguage::perl));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/perl\n$0 =~ s%.*/%%;\n", ScriptLanguage::perl));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/perl\n=head1 X\ndirname($0)\n=cut\n",
                                ScriptLanguage::perl));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/python3\nhere = os.path.dirname(__file__)\n",
                               ScriptLanguage::python));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/python3\n# __file__\nprint(sys.argv[0])\n",
                                ScriptLanguage::python));
  // node resolves its main script to the memfd: every node script fails.
  const auto node = scan_script_text("#!/usr/bin/env node\nconsole.log(1)\n", ScriptLanguage::node);
  ASSERT_TRUE(node);
  EXPECT_TRUE(node->always_fails);
  EXPECT_EQ(node->line, 1);
  EXPECT_TRUE(scan_script_text("#!/usr/bin/ruby\nrequire_relative 'x'\n", ScriptLanguage::ruby));
  EXPECT_FALSE(scan_script_text("#!/usr/bin/ruby\nputs $0\n", ScriptLanguage::ruby));
}

TEST(SelfReference, PythonWorkersThatReReadTheScriptAreMarked) {
  const auto spawn = scan_script_text(
      "#!/usr/bin/python3\nimport multiprocessing as mp\nhere = __file__\n"
      "mp.set_start_method(\"spawn\")\n",
      ScriptLanguage::python);
  ASSERT_TRUE(spawn);
  EXPECT_TRUE(spawn->respawns_itself);
  EXPECT_EQ(spawn->line, 4);
  EXPECT_TRUE(scan_script_text("#!/usr/bin/python3\nctx = mp.get_context('forkserver')\n",
                               ScriptLanguage::python)
                  ->respawns_itself);
  EXPECT_FALSE(scan_script_text("#!/usr/bin/python3\nmp.set_start_method('fork')\n",
                                ScriptLanguage::python));
}

TEST(SelfReference, SecondRoundOfAttacks) {
  // Walking up from the script's directory: from the name link's it reaches
  // / and stays there.
  const auto up = shell("d=$(dirname \"$0\")\nuntil [ -f \"$d/app.conf\" ]; do d=$(dirname \"$d\"); done\n");
  ASSERT_TRUE(up);
  EXPECT_TRUE(up->resolves_links);
  EXPECT_EQ(up->resolver, "dirname");
  // A usage message in a here-document is text.
  const auto heredoc = shell("cat <<EOF\nusage: $0 DIR\nEOF\nfor f in *; do readlink \"$f\"; done\n");
  EXPECT_FALSE(heredoc && heredoc->resolves_links);
  EXPECT_TRUE(shell("here=$(echo \"$0\" | awk -F/ -v OFS=/ '{NF--; print}')\n"));
  EXPECT_EQ(language("/bin/rbash"), ScriptLanguage::shell);
  EXPECT_TRUE(scan_script_text("#!/usr/bin/perl\nmy ($n, $d) = fileparse($0);\n",
                               ScriptLanguage::perl));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/python3\nconf = os.path.join(sys.path[0], 'a')\n",
                               ScriptLanguage::python));
  EXPECT_TRUE(scan_script_text("#!/usr/bin/python3\nd = os.path.split(sys.argv[0])[0]\n",
                               ScriptLanguage::python));
  const auto method = scan_script_text(
      "#!/usr/bin/python3\nMETHOD = \"spawn\"\nmp.set_start_method(METHOD)\n", ScriptLanguage::python);
  ASSERT_TRUE(method);
  EXPECT_TRUE(method->respawns_itself);
}

TEST(SelfReference, PythonImportsAreListedOnceWithoutRelativeOnes) {
  EXPECT_EQ(python_imports("import os, sys\nfrom helper.sub import x\nfrom . import y\n"
                           "  import helper\nimport os\n"),
            (std::vector<std::string>{"os", "sys", "helper"}));
  std::string many;
  for (int i = 0; i < 200; ++i) {
    many += "import m" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(python_imports(many).size(), k_max_sibling_imports);
}

TEST(SelfReference, LongAndBinaryTextIsBounded) {
  std::string text = "#!/bin/sh\n" + std::string(3 * k_max_scanned_script, 'x');
  text += "\ndir=$(dirname $0)\n";
  EXPECT_FALSE(scan_script_text(text, ScriptLanguage::shell)); // past the bound
  EXPECT_FALSE(scan_script_text(std::string("\0\0$\0", 4), ScriptLanguage::shell));
  EXPECT_FALSE(scan_script_text("$", ScriptLanguage::shell));
}

} // namespace
} // namespace sealexec
