"""The SMTP wing: the server, its delivery handler, the protocol over aiosmtpd, DATA and line
reading, AUTH, TLS, fault injection and client settings. It stands beside storage, which it
feeds, and above the message domain."""
