"""The Canvas area: Magic Canvas, the mask brush and the chat panel."""
