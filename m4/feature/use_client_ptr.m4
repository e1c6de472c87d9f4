dnl  check_relay judges the client by ${client_ptr} (the name its address maps
dnl  back to) instead of ${client_name}; policy.m4 reads _MM_FEAT_use_client_ptr.
