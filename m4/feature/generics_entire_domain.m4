dnl  The genericstable also applies to subdomains of class G.
