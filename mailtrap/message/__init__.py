"""The message domain, at the bottom of the house: models, parsing, headers, MIME, search
queries and link/code extraction. It imports nothing of mailtrap's but `mailtrap.errors`."""
