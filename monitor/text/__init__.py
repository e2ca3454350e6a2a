"""User-facing text in one place: Jinja2 templates and the short strings of the bot and the CLI.

Every word a secretary or an inspector reads is written here (templates under ``templates/``,
short strings in the modules beside this one), so wording can be reviewed and changed in one
place. Code elsewhere passes data in; escaping is the template engine's job. May import
``monitor.core`` only.
"""
