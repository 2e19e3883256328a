# Drives zsh's completion as a user at a terminal would (completion-zsh.sh).
#   zsh -f completion-zsh.zsh FPATH-DIR OUT-DIR LINE...
# Starts an interactive zsh on a pseudo-terminal (zpty) with FPATH-DIR in
# $fpath and compinit run, types each LINE followed by TAB, and writes the
# matches completion added (through compadd) to OUT-DIR/N, one a line, for
# the Nth LINE. Exits 1 when zsh does not answer within 30 seconds.
zmodload zsh/zpty || exit 2
fpath_dir=$1 out=$2
shift 2

wait_for() { # FILE
  local i
  for i in {1..300}; do
    [[ -e $1 ]] && return 0
    sleep 0.1
  done
  return 1
}

zpty sh zsh -f -i
zpty -w sh "PS1='' RPS1=''; fpath=(${(q)fpath_dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w sh "bindkey '^I' complete-word"
# Every match offered goes through compadd: record those it adds.
zpty -w sh 'compadd() {
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __matches
  builtin compadd -O __matches "$@"
  (( $#__matches )) && print -rl -- "${__matches[@]}" >>$__capture
  builtin compadd "$@"
}'
zpty -w sh "print -r -- ready > ${(q)out}/ready"
wait_for $out/ready || { print -u2 "zsh did not start"; exit 1 }

integer n=0
for line in "$@"; do
  (( n++ ))
  zpty -w sh "__capture=${(q)out}/$n; : >\$__capture"
  # The line, TAB, then ^U (kill the line) and a command saying it is done.
  zpty -n -w sh "$line"$'\t'$'\x15'"print -r -- done > ${(q)out}/$n.done"$'\n'
  wait_for $out/$n.done || { print -u2 "completing '$line' did not finish"; exit 1 }
done
zpty -d sh
