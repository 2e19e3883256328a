o\ u:t$$\#.o: small\ y.cpp /usr/include/stdc-predef.h inc\ dir/h\#1$$x.h \
 inc\ dir/b:c.h
/usr/include/stdc-predef.h:
inc\ dir/h\#1$$x.h:
inc\ dir/b:c.h:
