"""Chat: the chatbot in front of a chat queue (``bot``), pure; what it reads in a message (``text``), the safe
subset of patterns (``patterns``), opening hours from the dialplan (``hours``), and its built-in words and texts
(``defaults``); the values every layer of a conversation shares (``messages``); and the store of files sent in a
conversation (``attachments``), the one module here that touches the disk (plain file calls, no greenlets). The
shell that feeds them (the web chat, ``ccswitch bot``) lives elsewhere."""
