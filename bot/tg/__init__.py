"""The Telegram face of the bot: handlers, rendering and the Application that ties them."""
