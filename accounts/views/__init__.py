"""Accounts views, by feature: log-in and password reset (`auth`), the members page and
invitations sent from it (`members`), accepting an invitation (`invitations`), and one's
own profile (`profile`)."""
