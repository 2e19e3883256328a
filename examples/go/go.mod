module example.com/sealexec

go 1.19
