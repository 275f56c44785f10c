"""Who may use the API: users and their roles (``users``), log-in rate limits (``limits``), what each role may do
(``access``) and the live sessions and tokens (``gate``)."""
