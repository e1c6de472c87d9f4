dnl  The virtusertable also applies to subdomains of class VirtHost.
