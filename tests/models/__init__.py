"""Realistic models, written the way their authors would write them without srcad."""
