//! Proving the bytes of a download against the object's checksum (to be written).
