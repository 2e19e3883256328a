#!/usr/bin/env sealexec
// sealexec: -O2 "-DNAME=\"a b\"" '-Wl,-rpath,$ORIGIN'
#include <stdio.h>
int main(void){return 0;}
