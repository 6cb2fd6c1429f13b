"""Checks run on a stored message on request, each what a receiving mail system or a reader
would make of it: `html.check_html` (how well email clients support its HTML and CSS, from
caniemail.com's data), `a11y` (whether a screen-reader or low-vision reader can read it),
`spamassassin` (what a spamd says of it) and `links.check_links` (what each of its links
answers, behind the SSRF guard of `addresses`)."""
