# hand-written: every escape the parser knows
out\ dir/a\:b.o out.d: a\\\ b.c c\\\#d.h $$HOME/e.h \
  tab\	name.h c:\dos\path.h e\\ f.h # a comment \
 still the comment
x.o:y.h

phony.h:
