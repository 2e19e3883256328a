x.o: small\ y.cpp inc\ dir/h\#1$$x.h inc\ dir/b:c.h
inc\ dir/h\#1$$x.h:
inc\ dir/b:c.h:
