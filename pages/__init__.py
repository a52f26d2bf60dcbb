"""The campaign's public pages, at the top of the house: the home page (the appeal, the sign
form, featured supporters and the growth chart), the explanatory pages, the figures page, the
share image and the embeddable counter. They put the other apps together; nothing imports
them but the project's URLconf."""
