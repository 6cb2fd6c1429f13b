"""Checks run on a stored message on request: `html.check_html` (how well email clients
support the message's HTML and CSS, from caniemail.com's data)."""
