divert(-1)
dnl
dnl  options.m4 -- the O lines.  Each row ties an option's long name to the
dnl  conf* macro an .mc sets; a row writes `O Name=value' only when the macro
dnl  is defined (defined empty: `O Name').  README.md lists the same table.
dnl
define(`_MM_OPT', `ifdef(`$2', `O $1`'ifelse(defn(`$2'), `', `', `=$2')
')')
divert(0)dnl
_MM_OPT(`SevenBitInput', `confSEVEN_BIT_INPUT')dnl
_MM_OPT(`EightBitMode', `confEIGHT_BIT_HANDLING')dnl
_MM_OPT(`AliasWait', `confALIAS_WAIT')dnl
_MM_OPT(`AliasFile', `ALIAS_FILE')dnl
_MM_OPT(`MinFreeBlocks', `confMIN_FREE_BLOCKS')dnl
_MM_OPT(`MaxMessageSize', `confMAX_MESSAGE_SIZE')dnl
_MM_OPT(`BlankSub', `confBLANK_SUB')dnl
_MM_OPT(`HoldExpensive', `confCON_EXPENSIVE')dnl
_MM_OPT(`CheckpointInterval', `confCHECKPOINT_INTERVAL')dnl
_MM_OPT(`DeliveryMode', `confDELIVERY_MODE')dnl
_MM_OPT(`ErrorHeader', `confERROR_MESSAGE')dnl
_MM_OPT(`ErrorMode', `confERROR_MODE')dnl
_MM_OPT(`SaveFromLine', `confSAVE_FROM_LINES')dnl
_MM_OPT(`QueueFileMode', `confQUEUE_FILE_MODE')dnl
_MM_OPT(`TempFileMode', `confTEMP_FILE_MODE')dnl
_MM_OPT(`MatchGECOS', `confMATCH_GECOS')dnl
_MM_OPT(`MaxHopCount', `confMAX_HOP')dnl
O HelpFile=ifdef(`HELP_FILE', `HELP_FILE', `MAIL_SETTINGS_DIR`'helpfile')
_MM_OPT(`IgnoreDots', `confIGNORE_DOTS')dnl
_MM_OPT(`ResolverOptions', `confBIND_OPTS')dnl
_MM_OPT(`SendMimeErrors', `confMIME_FORMAT_ERRORS')dnl
_MM_OPT(`ForwardPath', `confFORWARD_PATH')dnl
_MM_OPT(`ConnectionCacheSize', `confMCI_CACHE_SIZE')dnl
_MM_OPT(`ConnectionCacheTimeout', `confMCI_CACHE_TIMEOUT')dnl
_MM_OPT(`HostStatusDirectory', `confHOST_STATUS_DIRECTORY')dnl
_MM_OPT(`SingleThreadDelivery', `confSINGLE_THREAD_DELIVERY')dnl
_MM_OPT(`UseErrorsTo', `confUSE_ERRORS_TO')dnl
_MM_OPT(`UseCompressedIPv6Addresses', `confUSE_COMPRESSED_IPV6_ADDRESSES')dnl
_MM_OPT(`LogLevel', `confLOG_LEVEL')dnl
_MM_OPT(`MeToo', `confME_TOO')dnl
_MM_OPT(`CheckAliases', `confCHECK_ALIASES')dnl
_MM_OPT(`OldStyleHeaders', `confOLD_STYLE_HEADERS')dnl
ifelse(defn(`_MM_DPO'), `', `O DaemonPortOptions=Name=MTA
', `defn(`_MM_DPO')')dnl
ifdef(`_MM_FEAT_no_default_msa', `', `O DaemonPortOptions=Port=587, Name=MSA, M=E
')dnl
_MM_CPO`'dnl
_MM_OPT(`DirectSubmissionModifiers', `confDIRECT_SUBMISSION_MODIFIERS')dnl
_MM_OPT(`UseMSP', `confUSE_MSP')dnl
_MM_OPT(`PrivacyOptions', `confPRIVACY_FLAGS')dnl
_MM_OPT(`PostmasterCopy', `confCOPY_ERRORS_TO')dnl
_MM_OPT(`QueueFactor', `confQUEUE_FACTOR')dnl
_MM_OPT(`MaxQueueChildren', `confMAX_QUEUE_CHILDREN')dnl
_MM_OPT(`MaxRunnersPerQueue', `confMAX_RUNNERS_PER_QUEUE')dnl
_MM_OPT(`NiceQueueRun', `confNICE_QUEUE_RUN')dnl
_MM_OPT(`QueueSortOrder', `confQUEUE_SORT_ORDER')dnl
_MM_OPT(`MinQueueAge', `confMIN_QUEUE_AGE')dnl
_MM_OPT(`MaxQueueAge', `confMAX_QUEUE_AGE')dnl
_MM_OPT(`MaxQueueRunSize', `confMAX_QUEUE_RUN_SIZE')dnl
_MM_OPT(`FastSplit', `confFAST_SPLIT')dnl
O QueueDirectory=ifdef(`QUEUE_DIR', `QUEUE_DIR', `/var/spool/mqueue')
_MM_OPT(`SharedMemoryKey', `confSHARED_MEMORY_KEY')dnl
_MM_OPT(`SharedMemoryKeyFile', `confSHARED_MEMORY_KEY_FILE')dnl
_MM_OPT(`Timeout.initial', `confTO_INITIAL')dnl
_MM_OPT(`Timeout.connect', `confTO_CONNECT')dnl
_MM_OPT(`Timeout.aconnect', `confTO_ACONNECT')dnl
_MM_OPT(`Timeout.iconnect', `confTO_ICONNECT')dnl
_MM_OPT(`Timeout.helo', `confTO_HELO')dnl
_MM_OPT(`Timeout.mail', `confTO_MAIL')dnl
_MM_OPT(`Timeout.rcpt', `confTO_RCPT')dnl
_MM_OPT(`Timeout.datainit', `confTO_DATAINIT')dnl
_MM_OPT(`Timeout.datablock', `confTO_DATABLOCK')dnl
_MM_OPT(`Timeout.datafinal', `confTO_DATAFINAL')dnl
_MM_OPT(`Timeout.rset', `confTO_RSET')dnl
_MM_OPT(`Timeout.quit', `confTO_QUIT')dnl
_MM_OPT(`Timeout.misc', `confTO_MISC')dnl
_MM_OPT(`Timeout.command', `confTO_COMMAND')dnl
_MM_OPT(`Timeout.ident', `confTO_IDENT')dnl
_MM_OPT(`Timeout.fileopen', `confTO_FILEOPEN')dnl
_MM_OPT(`Timeout.control', `confTO_CONTROL')dnl
_MM_OPT(`Timeout.queuereturn', `confTO_QUEUERETURN')dnl
_MM_OPT(`Timeout.queuereturn.normal', `confTO_QUEUERETURN_NORMAL')dnl
_MM_OPT(`Timeout.queuereturn.urgent', `confTO_QUEUERETURN_URGENT')dnl
_MM_OPT(`Timeout.queuereturn.non-urgent', `confTO_QUEUERETURN_NONURGENT')dnl
_MM_OPT(`Timeout.queuereturn.dsn', `confTO_QUEUERETURN_DSN')dnl
_MM_OPT(`Timeout.queuewarn', `confTO_QUEUEWARN')dnl
_MM_OPT(`Timeout.queuewarn.normal', `confTO_QUEUEWARN_NORMAL')dnl
_MM_OPT(`Timeout.queuewarn.urgent', `confTO_QUEUEWARN_URGENT')dnl
_MM_OPT(`Timeout.queuewarn.non-urgent', `confTO_QUEUEWARN_NONURGENT')dnl
_MM_OPT(`Timeout.queuewarn.dsn', `confTO_QUEUEWARN_DSN')dnl
_MM_OPT(`Timeout.hoststatus', `confTO_HOSTSTATUS')dnl
_MM_OPT(`Timeout.resolver.retrans', `confTO_RESOLVER_RETRANS')dnl
_MM_OPT(`Timeout.resolver.retrans.first', `confTO_RESOLVER_RETRANS_FIRST')dnl
_MM_OPT(`Timeout.resolver.retrans.normal', `confTO_RESOLVER_RETRANS_NORMAL')dnl
_MM_OPT(`Timeout.resolver.retry', `confTO_RESOLVER_RETRY')dnl
_MM_OPT(`Timeout.resolver.retry.first', `confTO_RESOLVER_RETRY_FIRST')dnl
_MM_OPT(`Timeout.resolver.retry.normal', `confTO_RESOLVER_RETRY_NORMAL')dnl
_MM_OPT(`Timeout.lhlo', `confTO_LHLO')dnl
_MM_OPT(`Timeout.auth', `confTO_AUTH')dnl
_MM_OPT(`Timeout.starttls', `confTO_STARTTLS')dnl
_MM_OPT(`DeliverByMin', `confDELIVER_BY_MIN')dnl
_MM_OPT(`DontPruneRoutes', `confDONT_PRUNE_ROUTES')dnl
_MM_OPT(`SuperSafe', `confSAFE_QUEUE')dnl
_MM_OPT(`StatusFile', `STATUS_FILE')dnl
ifelse(defn(`confTIME_ZONE'), `USE_SYSTEM', `',
	defn(`confTIME_ZONE'), `USE_TZ', `O TimeZoneSpec=
', `_MM_OPT(`TimeZoneSpec', `confTIME_ZONE')')dnl
_MM_OPT(`DefaultUser', `confDEF_USER_ID')dnl
_MM_OPT(`UserDatabaseSpec', `confUSERDB_SPEC')dnl
_MM_OPT(`FallbackMXhost', `confFALLBACK_MX')dnl
_MM_OPT(`FallbackSmartHost', `confFALLBACK_SMARTHOST')dnl
_MM_OPT(`TryNullMXList', `confTRY_NULL_MX_LIST')dnl
_MM_OPT(`QueueLA', `confQUEUE_LA')dnl
_MM_OPT(`RefuseLA', `confREFUSE_LA')dnl
_MM_OPT(`RejectLogInterval', `confREJECT_LOG_INTERVAL')dnl
_MM_OPT(`DelayLA', `confDELAY_LA')dnl
_MM_OPT(`MaxDaemonChildren', `confMAX_DAEMON_CHILDREN')dnl
_MM_OPT(`ConnectionRateThrottle', `confCONNECTION_RATE_THROTTLE')dnl
_MM_OPT(`ConnectionRateWindowSize', `confCONNECTION_RATE_WINDOW_SIZE')dnl
_MM_OPT(`RecipientFactor', `confWORK_RECIPIENT_FACTOR')dnl
_MM_OPT(`ForkEachJob', `confSEPARATE_PROC')dnl
_MM_OPT(`ClassFactor', `confWORK_CLASS_FACTOR')dnl
_MM_OPT(`RetryFactor', `confWORK_TIME_FACTOR')dnl
_MM_OPT(`DefaultCharSet', `confDEF_CHAR_SET')dnl
_MM_OPT(`ServiceSwitchFile', `confSERVICE_SWITCH_FILE')dnl
_MM_OPT(`HostsFile', `confHOSTS_FILE')dnl
_MM_OPT(`DialDelay', `confDIAL_DELAY')dnl
_MM_OPT(`NoRecipientAction', `confNO_RCPT_ACTION')dnl
_MM_OPT(`SafeFileEnvironment', `confSAFE_FILE_ENV')dnl
_MM_OPT(`ColonOkInAddr', `confCOLON_OK_IN_ADDR')dnl
_MM_OPT(`DontExpandCnames', `confDONT_EXPAND_CNAMES')dnl
_MM_OPT(`SmtpGreetingMessage', `confSMTP_LOGIN_MSG')dnl
_MM_OPT(`UnixFromLine', `confFROM_LINE')dnl
_MM_OPT(`SingleLineFromHeader', `confSINGLE_LINE_FROM_HEADER')dnl
_MM_OPT(`AllowBogusHELO', `confALLOW_BOGUS_HELO')dnl
_MM_OPT(`MustQuoteChars', `confMUST_QUOTE_CHARS')dnl
_MM_OPT(`OperatorChars', `confOPERATORS')dnl
_MM_OPT(`DontInitGroups', `confDONT_INIT_GROUPS')dnl
_MM_OPT(`UnsafeGroupWrites', `confUNSAFE_GROUP_WRITES')dnl
_MM_OPT(`DoubleBounceAddress', `confDOUBLE_BOUNCE_ADDRESS')dnl
_MM_OPT(`SoftBounce', `confSOFT_BOUNCE')dnl
_MM_OPT(`DeadLetterDrop', `confDEAD_LETTER_DROP')dnl
_MM_OPT(`RunAsUser', `confRUN_AS_USER')dnl
_MM_OPT(`MaxRecipientsPerMessage', `confMAX_RCPTS_PER_MESSAGE')dnl
_MM_OPT(`BadRcptThrottle', `confBAD_RCPT_THROTTLE')dnl
_MM_OPT(`DontProbeInterfaces', `confDONT_PROBE_INTERFACES')dnl
_MM_OPT(`RrtImpliesDsn', `confRRT_IMPLIES_DSN')dnl
_MM_OPT(`ConnectOnlyTo', `confCONNECT_ONLY_TO')dnl
_MM_OPT(`TrustedUser', `confTRUSTED_USER')dnl
_MM_OPT(`ControlSocketName', `confCONTROL_SOCKET_NAME')dnl
_MM_OPT(`MaxMimeHeaderLength', `confMAX_MIME_HEADER_LENGTH')dnl
_MM_OPT(`MaxHeadersLength', `confMAX_HEADERS_LENGTH')dnl
_MM_OPT(`MaxAliasRecursion', `confMAX_ALIAS_RECURSION')dnl
_MM_OPT(`PidFile', `confPID_FILE')dnl
_MM_OPT(`ProcessTitlePrefix', `confPROCESS_TITLE_PREFIX')dnl
_MM_OPT(`DataFileBufferSize', `confDF_BUFFER_SIZE')dnl
_MM_OPT(`XscriptFileBufferSize', `confXF_BUFFER_SIZE')dnl
_MM_OPT(`MailboxDatabase', `confMAILBOX_DATABASE')dnl
_MM_OPT(`RequiresDirfsync', `confREQUIRES_DIR_FSYNC')dnl
_MM_OPT(`AuthMechanisms', `confAUTH_MECHANISMS')dnl
_MM_OPT(`AuthRealm', `confAUTH_REALM')dnl
_MM_OPT(`DefaultAuthInfo', `confDEF_AUTH_INFO')dnl
_MM_OPT(`AuthOptions', `confAUTH_OPTIONS')dnl
_MM_OPT(`AuthMaxBits', `confAUTH_MAX_BITS')dnl
_MM_OPT(`TLSSrvOptions', `confTLS_SRV_OPTIONS')dnl
_MM_OPT(`CipherList', `confCIPHER_LIST')dnl
_MM_OPT(`ServerSSLOptions', `confSERVER_SSL_OPTIONS')dnl
_MM_OPT(`ClientSSLOptions', `confCLIENT_SSL_OPTIONS')dnl
_MM_OPT(`TLSFallbacktoClear', `confTLS_FALLBACK_TO_CLEAR')dnl
_MM_OPT(`CACertPath', `confCACERT_PATH')dnl
_MM_OPT(`CACertFile', `confCACERT')dnl
_MM_OPT(`ServerCertFile', `confSERVER_CERT')dnl
_MM_OPT(`ServerKeyFile', `confSERVER_KEY')dnl
_MM_OPT(`ClientCertFile', `confCLIENT_CERT')dnl
_MM_OPT(`ClientKeyFile', `confCLIENT_KEY')dnl
_MM_OPT(`CRLFile', `confCRL')dnl
_MM_OPT(`CRLPath', `confCRL_PATH')dnl
_MM_OPT(`DHParameters', `confDH_PARAMETERS')dnl
_MM_OPT(`RandFile', `confRAND_FILE')dnl
_MM_OPT(`CertFingerprintAlgorithm', `confCERT_FINGERPRINT_ALGORITHM')dnl
_MM_OPT(`DANE', `confDANE')dnl
_MM_OPT(`MaxNOOPCommands', `confMAX_NOOP_COMMANDS')dnl
_MM_OPT(`HeloName', `confHELO_NAME')dnl
_MM_OPT(`RejectNUL', `confREJECT_NUL')dnl
