"""The assistant's Rasa components (components.py, named in config.yml).

Rasa's own code is patched elsewhere, once per Rasa process (bot/rasa/patches.py); importing
this package changes nothing in Rasa.
"""
