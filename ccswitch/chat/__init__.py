"""Chat: the chatbot in front of a chat queue (``bot``), pure; what it reads in a message (``text``), the safe
subset of patterns (``patterns``), opening hours from the dialplan (``hours``), and its built-in words and texts
(``defaults``); and the values every layer of a conversation shares (``messages``). No module here touches the
disk or the network: the shell that feeds them (the web chat, ``ccswitch.webchat``, with its attachment store;
``ccswitch bot``) lives elsewhere."""
